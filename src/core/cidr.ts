import { isIP } from 'net';

/** An address range as written in a prop. */
export interface ParsedCidr {
  readonly version: 4 | 6;
  readonly prefixLength: number;
}

/** Parses an IPv4 or IPv6 CIDR (prefix length 0 to 32 or 128); undefined when it is not one. */
export function parseCidr(cidr: string): ParsedCidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return undefined;
  const version = isIP(m[1]);
  const prefixLength = Number(m[2]);
  if (version === 4 && prefixLength <= 32) return { version, prefixLength };
  if (version === 6 && prefixLength <= 128) return { version, prefixLength };
  return undefined;
}
