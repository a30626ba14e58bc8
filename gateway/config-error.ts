/** A config the gateway cannot run with; `linli` prints the message and exits 2. */
export class ConfigError extends Error {}
