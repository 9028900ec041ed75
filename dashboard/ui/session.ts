// Who is logged in, for every view: the role decides which action buttons
// exist at all (the server refuses the rest anyway, by the same table).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { roleAtLeast } from '../../controller/trust/roles.ts';
import type { Me } from './types.ts';

export const SessionContext = createContext<Me | null>(null);

export const useMe = (): Me | null => useContext(SessionContext);

/** Isolate, release, block, ack, silence and approve need the responder role, as their Operator RPCs do. */
export function useCanAct(): boolean {
  const me = useMe();
  return roleAtLeast(me?.role, 'responder');
}
