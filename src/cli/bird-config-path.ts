// Where bird6.conf lives unless --config says otherwise: the agent writes it there, plan reads it,
// and both the agent and `endpoints apply` keep the endpoint ownership record beside it
// (recordBesideConfig in src/endpoints/ledger.ts), so every command finds the same record.
export const DEFAULT_BIRD_CONFIG = '/etc/bird/bird6.conf';
