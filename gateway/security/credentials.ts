import { hashPassword, mosquittoHash, type ScryptCost } from "./password.ts";

/** The stored form of an entry's credentials: both hashes of the secret, and/or a certificate pin. */
export async function createEntryCredentials(secret: string | undefined, fingerprint: string | undefined, cost?: ScryptCost): Promise<{ password?: string; mosquittoPassword?: string; fingerprint?: string }> {
  return {
    ...(secret ? { password: await hashPassword(secret, cost), mosquittoPassword: await mosquittoHash(secret) } : {}),
    ...(fingerprint ? { fingerprint } : {}),
  };
}
