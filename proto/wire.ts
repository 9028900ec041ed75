// Loads proto/firebreak.proto at run time and exposes it with the types that
// proto-loader-gen-types generated from the same file (proto/gen).
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './gen/firebreak.ts';
import './tls-warning.ts';

export const PROTO_PATH = fileURLToPath(new URL('./firebreak.proto', import.meta.url));

// These options must match the flags of `npm run gen:proto`, or the generated
// types lie about what arrives.
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: ProtoGrpcType['firebreak']['v1'] | undefined;
let cachedDefinition: protoLoader.PackageDefinition | undefined;

/** The loaded .proto as proto-loader gives it (server reflection serves it to grpcurl). */
export function firebreakPackageDefinition(): protoLoader.PackageDefinition {
  return (cachedDefinition ??= protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS));
}

export function firebreakPackage(): ProtoGrpcType['firebreak']['v1'] {
  return (cached ??= (grpc.loadPackageDefinition(firebreakPackageDefinition()) as unknown as ProtoGrpcType).firebreak.v1);
}

/** Largest frame either side accepts; reports are bounded well below it. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export * from './types.ts';
