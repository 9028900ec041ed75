#!/usr/bin/env node
// Runs the TypeScript entry point through tsx: Firebreak ships its sources, no build step.
import { register } from 'tsx/esm/api';
register();
await import('../agent/main.ts');
