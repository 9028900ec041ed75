// Which script an interpreter process runs. A worm written in node, python,
// perl or shell runs as the interpreter (an executable every host knows), so
// its identity is the script file: the process table hashes that file instead.
// Pure functions over the exe path and argv (/proc/<pid>/cmdline): no I/O.

/** How one interpreter family reads its command line. */
interface Family {
  /** Short options whose presence means inline code or stdin: no script file. */
  inline: string;
  /** Long options that mean inline code or a module: no script file. */
  inlineLong: readonly string[];
  /** Short options that take a value: the rest of the cluster, else the next argument. */
  value: string;
  /** Short options that take the rest of their cluster only (perl's -M, -0777...). */
  attached: string;
  /** Long options that take the next argument as their value when written without '='. */
  valueLong: readonly string[];
  /** A short option whose value is the script file itself (php -f). */
  file?: string;
}

const FAMILIES: Record<string, Family> = {
  node: {
    inline: 'epi', inlineLong: ['--eval', '--print', '--interactive'], value: 'rC', attached: '',
    valueLong: ['--require', '--import', '--loader', '--experimental-loader', '--conditions', '--title', '--input-type', '--env-file', '--experimental-default-type'],
  },
  // -m runs a module, not a file; -c is inline code.
  python: { inline: 'cm', inlineLong: [], value: 'WX', attached: '', valueLong: ['--check-hash-based-pycs'] },
  perl: { inline: 'eE', inlineLong: [], value: 'I', attached: 'MmlxiCD0dVF', valueLong: [] },
  ruby: { inline: 'e', inlineLong: [], value: 'IrCEF', attached: 'xKTU0l', valueLong: ['--encoding', '--enable', '--disable'] },
  php: { inline: 'rRBEa', inlineLong: [], value: 'cdzt', attached: '', valueLong: [], file: 'f' },
  // -s reads the commands from stdin (its arguments are positional parameters).
  sh: { inline: 'cs', inlineLong: [], value: 'oO', attached: '', valueLong: ['--rcfile', '--init-file'] },
};

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'hush', 'zsh', 'ksh', 'mksh']);

/** The interpreter family of an executable, by its basename; undefined for anything else. */
export function interpreterFamily(exe: string): string | undefined {
  const base = basename(exe.replace(/ \(deleted\)$/, ''));
  if (base === 'node' || base === 'nodejs') return 'node';
  if (/^python[0-9.]*$/.test(base)) return 'python';
  if (/^perl[0-9.]*$/.test(base)) return 'perl';
  if (/^ruby[0-9.]*$/.test(base)) return 'ruby';
  if (/^php[0-9.]*(-cli)?$/.test(base)) return 'php';
  if (SHELLS.has(base) || base === 'busybox') return 'sh';
  return undefined;
}

/**
 * The script file argument of an interpreter's argv (as written: relative or
 * absolute), or undefined: not an interpreter, inline code (-c, -e), a module
 * (python -m), stdin, or no argument at all. Options before the script are
 * skipped, with their values.
 */
export function scriptArgument(exe: string, argv: readonly string[]): string | undefined {
  const family = interpreterFamily(exe);
  if (family === undefined || argv.length < 2) return undefined;
  let args = argv.slice(1);
  if (basename(exe.replace(/ \(deleted\)$/, '')) === 'busybox') {
    // busybox picks its applet by argv[0], or by argv[1] when run as "busybox".
    let applet = basename(argv[0] ?? '');
    if (applet === 'busybox') {
      applet = args[0] ?? '';
      args = args.slice(1);
    }
    if (!SHELLS.has(applet)) return undefined;
  }
  const f = FAMILIES[family]!;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return nonEmpty(args[i + 1]);
    if (a === '-') return undefined; // the script comes on stdin
    if (a.startsWith('--')) {
      const name = a.split('=', 1)[0]!;
      if (f.inlineLong.includes(name)) return undefined;
      if (!a.includes('=') && f.valueLong.includes(name)) i++;
      continue;
    }
    // Shells also take +o/+O options, with a value.
    if (a.startsWith('-') || (family === 'sh' && a.startsWith('+') && a.length > 1)) {
      // A cluster of short options: -xc, -Bc, -I/dir, -pe...
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        if (f.inline.includes(ch)) return undefined;
        if (f.file === ch) return nonEmpty(j + 1 < a.length ? a.slice(j + 1) : args[i + 1]);
        if (f.value.includes(ch)) {
          if (j + 1 === a.length) i++; // the value is the next argument
          break;
        }
        if (f.attached.includes(ch)) break;
      }
      continue;
    }
    return a;
  }
  return undefined;
}

/** argv of a /proc/<pid>/cmdline: NUL-separated, NUL-terminated. */
export function parseCmdline(raw: string): string[] {
  if (raw === '') return [];
  const parts = raw.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
