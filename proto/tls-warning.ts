// grpc-js passes an IP-address target as the TLS ServerName, and Node warns
// about that (DEP0123) once in every process. The warning concerns SNI only;
// the certificate is still verified against the address in its SAN. It would
// greet every CLI call, so it alone is filtered; other warnings print as usual.
const DEFAULT_LISTENERS = process.listeners('warning');
if (!process.env.FIREBREAK_ALL_WARNINGS) {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.code === 'DEP0123') return;
    for (const l of DEFAULT_LISTENERS) l(w);
  });
}
