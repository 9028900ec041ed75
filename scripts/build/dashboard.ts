// npm run build:dashboard (also run by `npm ci` through `prepare`): the web
// dashboard's views (dashboard/ui, preact + uPlot) bundled by esbuild into
// three static files the controller serves from dashboard/dist/:
//   index.html  no inline script or style, so a strict Content-Security-Policy
//               (script-src 'self'; style-src 'self') holds
//   app.js      every view and library, nothing from a CDN
//   app.css     the dashboard's and uPlot's styles
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_DIST = join(root, 'dashboard/dist');

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Firebreak</title>
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Firebreak dashboard needs JavaScript; the CLI (firebreak) shows the same.</noscript>
</body>
</html>
`;

export async function buildDashboard(outDir = DASHBOARD_DIST): Promise<{ files: Record<string, number> }> {
  mkdirSync(outDir, { recursive: true });
  // files of an earlier build that this one does not write (a renamed chunk) must not linger and be served
  for (const f of readdirSync(outDir)) if (!['index.html', 'app.js', 'app.css'].includes(f)) rmSync(join(outDir, f), { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: join(root, 'dashboard/ui/main.tsx') },
    bundle: true, format: 'esm', platform: 'browser', target: ['chrome111', 'firefox111', 'safari16'],
    jsx: 'automatic', jsxImportSource: 'preact',
    outdir: outDir, minify: true, legalComments: 'none', logLevel: 'silent', metafile: true,
    // every output is one of the three files the server serves: no chunks, no assets beside them
    splitting: false, loader: { '.css': 'css' },
  });
  writeFileSync(join(outDir, 'index.html'), INDEX_HTML);
  const outputs = Object.keys(result.metafile.outputs).map((f) => resolve(root, f));
  const unexpected = outputs.filter((f) => ![join(outDir, 'app.js'), join(outDir, 'app.css')].includes(f));
  if (unexpected.length) throw new Error(`the bundle wrote files the controller does not serve: ${unexpected.join(', ')}`);
  const files: Record<string, number> = {};
  for (const f of ['index.html', 'app.js', 'app.css']) files[f] = statSync(join(outDir, f)).size;
  return { files };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const out = process.argv.includes('--out') ? resolve(process.argv[process.argv.indexOf('--out') + 1]!) : DASHBOARD_DIST;
  buildDashboard(out).then(({ files }) => {
    const sizes = Object.entries(files).map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`).join(', ');
    process.stdout.write(`build:dashboard: ${out} (${sizes}) in ${Date.now() - started} ms\n`);
  }, (err: Error & { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
    const detail = err.errors?.length
      ? err.errors.map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('\n')
      : `  ${err.message}`;
    process.stderr.write(`build:dashboard FAILED: the dashboard (dashboard/ui) did not build, so the controller has no pages to serve:\n${detail}\n`);
    process.exit(1);
  });
}
