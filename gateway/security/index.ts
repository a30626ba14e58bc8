/** Device identity and broker security: what other features and the CLI import. */
export { securityConfigSchema, type SecurityConfig, type SecurityConfigInput } from "./config.ts";
export { DeviceRegistry, RegistryError, type AccountEntry, type DeviceEntry, type RegistryEntry } from "./registry.ts";
export { CommandVerifier, sealCommand, type VerifyResult, type VerifyFailure } from "./envelope.ts";
export { AuditLog, type AuditRecord } from "./audit.ts";
export { TopicPolicy, type Identity, type DenyReason } from "./policy.ts";
export { SecurityMetrics } from "./metrics.ts";
export { BrokerSecurity } from "./hooks.ts";
export { mosquittoAcl, mosquittoPasswords, emqxAcl } from "./acl.ts";
export { hashPassword, verifyPassword, mosquittoHash, verifyMosquittoHash, generateSecret, certificateFingerprint, normaliseFingerprint } from "./password.ts";
export { createEntryCredentials } from "./credentials.ts";
export { registerDeviceCommands } from "./cli.ts";
