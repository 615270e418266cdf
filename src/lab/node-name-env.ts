// The environment variable the Swarm stack (compose-swarm.ts) names each host's node in, and the
// agent reads it from (src/cli/agent.ts): a Swarm service can template its environment, not its
// command line. A module of its own, so the agent takes the name without the compose writers.
export const NODE_NAME_ENV = 'BIRDCTL_NODE';
