// The /proc parsers on the awkward cases: comm with spaces and parentheses,
// IPv6 and v4-mapped addresses, partitions and virtual disks, bind mounts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  hexAddr, parseDiskstats, parseMeminfo, parseMounts, parseNetSockets, parsePidStat, parseProcStat, parseSnmpTcp, sockstatKey,
} from '../../agent/sample/procfs.ts';

describe('procfs parsers', () => {
  it('reads a pid stat whose comm holds spaces and parentheses', () => {
    const st = parsePidStat('42 (a) b (c)) R 7 42 42 0 -1 4194304 1 0 0 0 11 22 0 0 20 0 1 0 1234 1000 55 18446744073709551615\n');
    assert.deepEqual(st, { pid: 42, comm: 'a) b (c)', state: 'R', ppid: 7, flags: 4194304, cpuTicks: 33, startTicks: 1234, rssPages: 55 });
  });

  it('decodes IPv4, IPv6 and v4-mapped addresses', () => {
    assert.equal(hexAddr('0100007F'), '127.0.0.1');
    assert.equal(hexAddr('00000000000000000000000001000000'), '::1');
    assert.equal(hexAddr('0000000000000000FFFF00000100007F'), '127.0.0.1');
    assert.equal(hexAddr('B80D0120000000000000000001000000'), '2001:db8::1', 'canonical: the longest zero run compressed');
    assert.equal(hexAddr('B80D0120010000000000000000000000'), '2001:db8:0:1::');
    assert.equal(hexAddr('B80D01200000000000000100AB000000'), '2001:db8::1:0:0:ab', 'the first of equal zero runs');
    assert.equal(hexAddr('B80D01200100000001000000AB000000'), '2001:db8:0:1:0:1:0:ab', 'a single zero group stays');
    assert.equal(hexAddr('000080FE00000000A3F8FF0201FF2BFE'), 'fe80::2ff:f8a3:fe2b:ff01');
  });

  it('reads socket rows, IPv6 included', () => {
    const rows = parseNetSockets('  sl  local_address                         remote_address                        st\n'
      + '   0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000A00000A:0019 02 00000000:00000000 00:00000000 00000000     0        0 777 1\n');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.localPort, 8080);
    assert.equal(rows[0]!.remotePort, 25);
    assert.equal(rows[0]!.st, '02');
    assert.equal(rows[0]!.inode, 777);
    assert.equal(hexAddr(rows[0]!.remoteAddr), '10.0.0.10');
  });

  it('counts whole disks only, and one mount per device', () => {
    const d = parseDiskstats(' 8 0 sda 10 0 100 0 20 0 200 0 0 0 0\n 8 1 sda1 9 0 90 0 19 0 190 0 0 0 0\n 253 0 dm-0 9 0 90 0 19 0 190 0 0 0 0\n 259 0 nvme0n1 1 0 8 0 2 0 16 0 0 0 0\n 259 1 nvme0n1p1 1 0 8 0 2 0 16 0 0 0 0\n');
    assert.deepEqual(d, { readOps: 11, readBytes: 108 * 512, writeOps: 22, writeBytes: 216 * 512 });
    assert.deepEqual(parseMounts('/dev/sda1 /var/lib/docker ext4 rw 0 0\n/dev/sda1 / ext4 rw 0 0\noverlay /x overlay rw 0 0\n').map((m) => m.mount), ['/']);
  });

  it('reads CPU, memory and TCP counters', () => {
    assert.deepEqual(parseProcStat('cpu  1 2 3 4 5 6 7 8 9 10\nbtime 99\n'), { cpu: { total: 36, busy: 27 }, btime: 99 });
    assert.deepEqual(parseMeminfo('MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 25 kB\n'), { totalBytes: 102400, usedBytes: 61440 });
    assert.deepEqual(parseSnmpTcp('Tcp: A ActiveOpens PassiveOpens AttemptFails OutRsts\nTcp: 1 77 3 5 9\n'), { activeOpens: 77, attemptFails: 5, passiveOpens: 3, outRsts: 9 });
  });

  it('keys the socket counts of sockstat, leaving out the memory figures that move with traffic', () => {
    const a = 'sockets: used 22\nTCP: inuse 4 orphan 0 tw 3 alloc 6 mem 236\nUDP: inuse 1 mem 0\nRAW: inuse 0\n';
    const moreMem = a.replace('mem 236', 'mem 999').replace('used 22', 'used 40');
    assert.equal(sockstatKey(a), sockstatKey(moreMem), 'memory and the global socket count do not change the key');
    assert.notEqual(sockstatKey(a), sockstatKey(a.replace('inuse 4', 'inuse 5')), 'a new socket (a listener) changes it');
    assert.notEqual(sockstatKey(a), sockstatKey(a.replace('tw 3', 'tw 2')), 'a TIME_WAIT expiring changes it');
    assert.notEqual(sockstatKey(a), sockstatKey(a.replace('UDP: inuse 1', 'UDP: inuse 2')), 'a new UDP socket changes it');
    assert.equal(sockstatKey(''), '');
  });
});
