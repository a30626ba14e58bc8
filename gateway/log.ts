import { pino, type Logger } from "pino";

/** Paths that may carry secrets; pino replaces them before a line is written. */
const REDACT = ["password", "token", "secret", "*.password", "*.token", "*.secret", "config.broker.password", "config.influx.password", "config.influx.token", "config.privacy.salt"];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: "[redacted]" }, base: { app: "linli" } });
}
