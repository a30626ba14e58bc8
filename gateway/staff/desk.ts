import type { IncomingMessage } from "node:http";

export { STAFF_ROLES, type StaffRole } from "./roles.ts";
import { may, type Permission, type StaffRole } from "./roles.ts";

/** An account as other features see it (a work order's assignee list). */
export interface StaffMember {
  user: string;
  displayName: string;
  role: StaffRole;
}

/** Whoever can tell which staff account sent a request (the console's login sessions). */
export interface StaffAuthenticator {
  userOf(req: IncomingMessage): string | undefined;
  roleOf(req: IncomingMessage): StaffRole | undefined;
  /** the name staff read (in audit trails and page headers); the account id when it has none */
  displayNameOf(req: IncomingMessage): string | undefined;
  /** every account, when the provider keeps a list (the console does) */
  members?(): StaffMember[];
  /** releases what the provider holds (its database) when it is withdrawn */
  close?(): void;
}

/**
 * The core's answer to "which staff member is this?", for every feature's staff API. The console
 * provides it; a gateway without a console recognises nobody, so staff APIs refuse every request.
 */
export class StaffDesk implements StaffAuthenticator {
  #provider: StaffAuthenticator | undefined;

  /** Returns the function that withdraws the provider (its feature stopping). */
  provide(provider: StaffAuthenticator): () => void {
    if (this.#provider) throw new Error("a staff login provider is already registered");
    this.#provider = provider;
    return () => {
      if (this.#provider === provider) this.#provider = undefined;
      provider.close?.();
    };
  }

  userOf(req: IncomingMessage): string | undefined {
    return this.#provider?.userOf(req);
  }

  /** The role of the account behind a request; undefined when nobody is signed in. */
  roleOf(req: IncomingMessage): StaffRole | undefined {
    return this.#provider?.roleOf(req);
  }

  displayNameOf(req: IncomingMessage): string | undefined {
    return this.#provider?.displayNameOf(req);
  }

  members(): StaffMember[] {
    return this.#provider?.members?.() ?? [];
  }

  isAdministrator(req: IncomingMessage): boolean {
    return this.roleOf(req) === "administrator";
  }

  /** Whether the account behind a request holds `permission` (false when nobody is signed in). */
  may(req: IncomingMessage, permission: Permission): boolean {
    return may(this.roleOf(req), permission);
  }
}
