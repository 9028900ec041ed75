// Pure parsers for the /proc files the sampler reads. They take file text and
// return plain numbers, so tests can feed them fixture text and the hot loop
// pays for no regular expressions beyond the few it needs.

export interface CpuTimes {
  /** All jiffies (user+nice+system+idle+iowait+irq+softirq+steal). */
  total: number;
  /** Jiffies not idle and not waiting for I/O. */
  busy: number;
}

export interface ProcStat {
  cpu: CpuTimes;
  /** Boot time, seconds since the epoch: process start times are relative to it. */
  btime: number;
}

export function parseProcStat(text: string): ProcStat {
  let cpu: CpuTimes = { total: 0, busy: 0 };
  let btime = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      const f = line.slice(4).trim().split(/\s+/).map(Number);
      // guest and guest_nice are already inside user and nice: count 8 fields only.
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
      const total = user + nice + system + idle + iowait + irq + softirq + steal;
      cpu = { total, busy: total - idle - iowait };
    } else if (line.startsWith('btime ')) {
      btime = Number(line.slice(6));
    }
  }
  return { cpu, btime };
}

export interface MemInfo {
  totalBytes: number;
  usedBytes: number;
}

export function parseMeminfo(text: string): MemInfo {
  let total = 0;
  let available = -1;
  let free = 0;
  let buffers = 0;
  let cached = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const kb = Number.parseInt(line.slice(colon + 1), 10) * 1024;
    if (key === 'MemTotal') total = kb;
    else if (key === 'MemAvailable') available = kb;
    else if (key === 'MemFree') free = kb;
    else if (key === 'Buffers') buffers = kb;
    else if (key === 'Cached') cached = kb;
  }
  // Kernels before 3.14 have no MemAvailable; free+buffers+cached is the old estimate.
  if (available < 0) available = free + buffers + cached;
  return { totalBytes: total, usedBytes: Math.max(0, total - available) };
}

export interface DiskCounters {
  readOps: number;
  readBytes: number;
  writeOps: number;
  writeBytes: number;
}

// Virtual and stacked devices would count the same I/O twice (dm-*, md*) or
// none that touches a disk (loop, ram, zram).
const SKIP_DEVICE = /^(loop|ram|zram|dm-|md|sr|fd|nbd)/;
// Partitions repeat their whole disk's counters.
const PARTITION = /^((sd|vd|xvd|hd)[a-z]+\d+|(nvme\d+n\d+|mmcblk\d+)p\d+)$/;

/** Sum of whole physical disks; sectors in /proc/diskstats are always 512 bytes. */
export function parseDiskstats(text: string): DiskCounters {
  const out: DiskCounters = { readOps: 0, readBytes: 0, writeOps: 0, writeBytes: 0 };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const name = f[2]!;
    if (SKIP_DEVICE.test(name) || PARTITION.test(name)) continue;
    out.readOps += Number(f[3]);
    out.readBytes += Number(f[5]) * 512;
    out.writeOps += Number(f[7]);
    out.writeBytes += Number(f[9]) * 512;
  }
  return out;
}

export interface MountEntry {
  device: string;
  mount: string;
  fstype: string;
}

/** Filesystems that hold data on a device; pseudo and memory filesystems are skipped. */
export const REAL_FS = new Set([
  'ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'jfs', 'reiserfs', 'vfat', 'exfat', 'ntfs', 'ntfs3',
  'fuseblk', 'bcachefs', 'nfs', 'nfs4', 'cifs',
]);

/** Real filesystems, one entry per device (bind mounts repeat a device: the shortest path wins). */
export function parseMounts(text: string): MountEntry[] {
  const byDevice = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 3) continue;
    const fstype = f[2]!;
    if (!REAL_FS.has(fstype)) continue;
    // /proc/mounts escapes space, tab, newline and backslash as octal.
    const mount = f[1]!.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    const prev = byDevice.get(f[0]!);
    if (!prev || mount.length < prev.mount.length) byDevice.set(f[0]!, { device: f[0]!, mount, fstype });
  }
  return [...byDevice.values()].sort((a, b) => a.mount.localeCompare(b.mount));
}

export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  flags: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  /** Clock ticks after boot. */
  startTicks: number;
  rssPages: number;
}

/** PF_KTHREAD: kernel threads have no executable and are no user's program. */
export const PF_KTHREAD = 0x00200000;

/** /proc/<pid>/stat. comm may hold spaces and parentheses: the last ')' ends it. */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state) of proc(5).
  if (f.length < 22) return undefined;
  return {
    pid: Number(text.slice(0, open)),
    comm: text.slice(open + 1, close),
    state: f[0]!,
    ppid: Number(f[1]),
    flags: Number(f[6]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTicks: Number(f[19]),
    rssPages: Number(f[21]),
  };
}

/** Real uid from /proc/<pid>/status. */
export function parseStatusUid(text: string): number | undefined {
  const i = text.indexOf('\nUid:');
  if (i < 0) return undefined;
  const n = Number.parseInt(text.slice(i + 5).trimStart(), 10);
  return Number.isFinite(n) ? n : undefined;
}

/** uid → name from /etc/passwd text. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3) out.set(Number(f[2]), f[0]!);
  }
  return out;
}

export const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING', '0C': 'NEW_SYN_RECV',
};

export interface SocketRow {
  localAddr: string;
  localPort: number;
  remoteAddr: string;
  remotePort: number;
  /** Two hex digits as in the file ('01' ESTABLISHED, '0A' LISTEN, ...). */
  st: string;
  inode: number;
}

function hexIPv4(h: string): string {
  // Stored as a little-endian 32-bit word on the machines Node runs on (x86, arm64).
  return `${Number.parseInt(h.slice(6, 8), 16)}.${Number.parseInt(h.slice(4, 6), 16)}.${Number.parseInt(h.slice(2, 4), 16)}.${Number.parseInt(h.slice(0, 2), 16)}`;
}

function hexIPv6(h: string): string {
  // Four little-endian 32-bit words.
  if (h === '00000000000000000000000000000000') return '::';
  if (h.startsWith('0000000000000000FFFF0000')) return hexIPv4(h.slice(24)); // v4-mapped
  if (h === '00000000000000000000000001000000') return '::1';
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = h.slice(w * 8, w * 8 + 8);
    const be = word.slice(6, 8) + word.slice(4, 6) + word.slice(2, 4) + word.slice(0, 2);
    groups.push(Number.parseInt(be.slice(0, 4), 16).toString(16), Number.parseInt(be.slice(4, 8), 16).toString(16));
  }
  return compressIPv6(groups);
}

/**
 * The canonical text (RFC 5952: the longest run of two or more zero groups, the
 * first of equals, becomes '::'), as nft and inventories print it: a contact's
 * address must read the same from the socket tables and the kernel's sets.
 */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function hexAddr(h: string): string {
  return h.length === 8 ? hexIPv4(h) : hexIPv6(h);
}

/**
 * Rows of /proc/net/{tcp,tcp6,udp,udp6}. Addresses stay hex (decoding every
 * row would dominate the cost on a busy host); decode with hexAddr when needed.
 */
export function parseNetSockets(text: string): SocketRow[] {
  const rows: SocketRow[] = [];
  let pos = text.indexOf('\n') + 1; // header
  while (pos > 0 && pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    // "  sl: LOCAL:PORT REMOTE:PORT ST ..." — fixed widths after the first colon.
    const c = text.indexOf(':', pos);
    if (c > 0 && c < end) {
      const a = c + 2;
      const lc = text.indexOf(':', a);
      const addrLen = lc - a; // 8 for IPv4, 32 for IPv6
      const r = lc + 6;
      const st = text.slice(r + addrLen + 6, r + addrLen + 8);
      // inode is the 10th whitespace-separated field; only walk to it when asked for.
      rows.push({
        localAddr: text.slice(a, lc),
        localPort: Number.parseInt(text.slice(lc + 1, lc + 5), 16),
        remoteAddr: text.slice(r, r + addrLen),
        remotePort: Number.parseInt(text.slice(r + addrLen + 1, r + addrLen + 5), 16),
        st,
        inode: inodeOf(text, r + addrLen + 8, end),
      });
    }
    pos = end + 1;
  }
  return rows;
}

function inodeOf(text: string, from: number, end: number): number {
  // After st: tx:rx, tr:when, retrnsmt, uid, timeout, inode.
  let field = 0;
  let i = from;
  while (i < end) {
    while (i < end && text.charCodeAt(i) === 32) i++;
    const s = i;
    while (i < end && text.charCodeAt(i) !== 32) i++;
    if (field === 5) return Number(text.slice(s, i));
    field++;
  }
  return 0;
}

export interface TcpCounters {
  activeOpens: number;
  attemptFails: number;
  /** Inbound connections accepted. */
  passiveOpens: number;
  /** Resets sent: among them, the answer to an inbound SYN to a closed port. */
  outRsts: number;
}

/**
 * The socket counts of /proc/net/sockstat (TCP in use, orphaned, in TIME_WAIT,
 * allocated; UDP in use) as one comparable string, or '' when unreadable.
 * Memory figures are left out: they move with traffic on existing sockets.
 */
export function sockstatKey(text: string): string {
  let key = '';
  for (const line of text.split('\n')) {
    if (!line.startsWith('TCP') && !line.startsWith('UDP')) continue;
    const f = line.split(/\s+/);
    for (let i = 1; i + 1 < f.length; i += 2) if (f[i] !== 'mem' && f[i] !== 'memory') key += `${f[0]}${f[i]}=${f[i + 1]} `;
  }
  return key;
}

/** Tcp: ActiveOpens and AttemptFails from /proc/net/snmp: every outbound attempt, however short. */
export function parseSnmpTcp(text: string): TcpCounters {
  const lines = text.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) return { activeOpens: 0, attemptFails: 0, passiveOpens: 0, outRsts: 0 };
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  const get = (n: string): number => Number(values[names.indexOf(n)] ?? 0);
  return { activeOpens: get('ActiveOpens'), attemptFails: get('AttemptFails'), passiveOpens: get('PassiveOpens'), outRsts: get('OutRsts') };
}

export function isLoopbackHex(h: string): boolean {
  if (h.length === 8) return h.slice(6, 8) === '7F'; // first octet is the last byte
  return h === '00000000000000000000000001000000' || (h.startsWith('0000000000000000FFFF0000') && h.slice(30, 32) === '7F');
}
