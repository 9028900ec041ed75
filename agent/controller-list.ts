// The agent's `controller` setting may list several controllers ("a:7443,b:7443").
// Split here, apart from config.ts: the running agent needs the list, and config.ts
// brings zod, which only the prepare step may load (test/e2e/agent-bundle.test.ts).

/** The entries of a `controller` setting, in order ("a:7443, b:7443" → ["a:7443", "b:7443"]). */
export function controllerAddresses(controller: string): string[] {
  return controller.split(',').map((s) => s.trim());
}
