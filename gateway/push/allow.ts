import { BlockList, isIPv4, isIPv6 } from "node:net";

/** An address allow-list of CIDR blocks (node:net BlockList); IPv4-mapped IPv6 addresses are checked as IPv4. */
export class AllowList {
  readonly #list = new BlockList();

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [net, bits] = c.split("/") as [string, string];
      const type = isIPv4(net) ? "ipv4" : isIPv6(net) ? "ipv6" : undefined;
      if (!type) throw new Error(`push.allow: ${c} is not an address block`);
      this.#list.addSubnet(net, Number(bits), type);
    }
  }

  allows(address: string | undefined): boolean {
    if (!address) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return this.#list.check(mapped, "ipv4");
    if (isIPv4(address)) return this.#list.check(address, "ipv4");
    if (isIPv6(address)) return this.#list.check(address, "ipv6");
    return false;
  }
}
