// The signals that stop mcp-leash, and their numbers for 128+N exit codes. Shared by the proxy
// and the early start (which holds the same signals until the proxy's handlers are in place), so
// both stop on the same set; small enough for bin/ to load before anything else.

import { constants as osConstants } from 'node:os';

/** What a host sends to stop a server (and so mcp-leash): each one runs the shutdown ladder. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The platform's number for a signal name; 0 for none or an unknown name. */
export const signalNumber = (sig: string | null): number => (sig ? (osConstants.signals as Record<string, number>)[sig] ?? 0 : 0);
