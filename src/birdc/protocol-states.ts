// The state vocabularies BIRD 1.6 prints for protocols and BGP sessions (nest/proto.c
// proto_state_name, proto/bgp/bgp.c bgp_state_dsc). Anything else is an unknown reply, not a state.

// `wait`: up, but held by graceful restart recovery (bird6 -R) until the other protocols have converged.
export const PROTOCOL_STATES = ['up', 'down', 'start', 'stop', 'feed', 'flush', 'wait'] as const;
export type ProtocolState = (typeof PROTOCOL_STATES)[number];

/** The FSM state names plus `Down` (protocol down, e.g. disabled) and `Passive` (idle, waiting for the peer). */
export const BGP_STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established', 'Close', 'Down', 'Passive'] as const;
export type BgpState = (typeof BGP_STATES)[number];

export function isBgpState(text: string): text is BgpState {
  return (BGP_STATES as readonly string[]).includes(text);
}

export interface LastError {
  /** BIRD's error class: `Socket`, `Received`, `BGP Error`, `Error`, `Automatic shutdown`; '' when none */
  class: string;
  text: string;
}

// bgp_err_classes in proto/bgp/bgp.c, longest first so `BGP Error` wins over `Error`.
const ERROR_CLASSES = ['Automatic shutdown', 'BGP Error', 'Received', 'Socket', 'Error'];

/** `Socket: Connection refused` -> {class: 'Socket', text: 'Connection refused'}; '' -> null. */
export function splitLastError(text: string): LastError | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const cls = ERROR_CLASSES.find((c) => trimmed.startsWith(`${c}: `));
  return cls === undefined ? { class: '', text: trimmed } : { class: cls, text: trimmed.slice(cls.length + 2).trim() };
}
