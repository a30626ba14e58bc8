import { pino, type Logger } from "pino";

/** Paths that may carry secrets; pino replaces them before a line is written. */
const REDACT = ["password", "token", "secret", "*.password", "*.token", "*.secret", "config.broker.password", "config.influx.password", "config.influx.token", "config.privacy.salt"];

export type LogFormat = "auto" | "json" | "pretty";

/** JSON for machines; on a terminal (or when asked) pino-pretty's readable lines, in its own worker thread. */
export function createLogger(level: string, format: LogFormat = "json"): Logger {
  const pretty = format === "pretty" || (format === "auto" && process.stdout.isTTY === true);
  const options = { level, redact: { paths: REDACT, censor: "[redacted]" }, base: { app: "linli" } };
  if (!pretty) return pino(options);
  return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname,app" } } });
}
