/* eslint-disable no-bitwise -- packet headers are bit fields and one's-complement checksums */
// Writes a pcap of what a sensor receives from Traffic Mirroring: a web host's TCP
// session (handshake, one request, the answer, the close) copied packet by packet and
// wrapped in VXLAN (UDP 4789) from the host's address to the sensor's. Checksums are
// computed, so the replay also works with checksum checks on.

export interface MirroredSession {
  /** The client (the load balancer node, seen from the host). */
  readonly client: string;
  /** The web host: its ENI is the mirror source. */
  readonly host: string;
  readonly hostPort: number;
  /** The sensor behind the mirror target. */
  readonly sensor: string;
  /** Request bytes, e.g. "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n". */
  readonly request: string;
  readonly response: string;
}

const ip4 = (a: string) => Buffer.from(a.split('.').map(Number));

function checksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += (buf[i] << 8) + (i + 1 < buf.length ? buf[i + 1] : 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function ipv4(src: string, dst: string, protocol: number, payload: Buffer, id: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h.writeUInt16BE(0x4000, 6); // don't fragment
  h[8] = 64;
  h[9] = protocol;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

function pseudoHeader(src: string, dst: string, protocol: number, length: number): Buffer {
  const p = Buffer.alloc(12);
  ip4(src).copy(p, 0);
  ip4(dst).copy(p, 4);
  p[9] = protocol;
  p.writeUInt16BE(length, 10);
  return p;
}

function tcp(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  const segment = Buffer.concat([h, data]);
  segment.writeUInt16BE(checksum(Buffer.concat([pseudoHeader(src, dst, 6, segment.length), segment])), 16);
  return segment;
}

function udp(src: string, dst: string, sport: number, dport: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + data.length, 4);
  const datagram = Buffer.concat([h, data]);
  const sum = checksum(Buffer.concat([pseudoHeader(src, dst, 17, datagram.length), datagram]));
  datagram.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  return datagram;
}

const ethernet = (payload: Buffer) => Buffer.concat([
  Buffer.from([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]), payload,
]);

/** A VXLAN header with the given virtual network id (Traffic Mirroring puts the session's VNI there). */
const vxlan = (vni: number, frame: Buffer) => {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, frame]);
};

/** The session's packets, each mirrored: Ethernet / IPv4 host→sensor / UDP 4789 / VXLAN / the original frame. */
export function mirroredSessionPcap(s: MirroredSession, vni = 4242): Buffer {
  const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;
  const req = Buffer.from(s.request, 'latin1');
  const res = Buffer.from(s.response, 'latin1');
  const c = { addr: s.client, port: 40_000 }, h = { addr: s.host, port: s.hostPort };
  let cs = 1000, hs = 5000;
  const inner: Array<[typeof c, typeof h, number, number, number, Buffer]> = [];
  const send = (from: typeof c, to: typeof c, flags: number, data = Buffer.alloc(0)) => {
    const fromClient = from === c;
    const seq = fromClient ? cs : hs;
    const ack = fromClient ? hs : cs;
    inner.push([from, to, seq, flags & ACK ? ack : 0, flags, data]);
    const advance = data.length + (flags & (SYN | FIN) ? 1 : 0);
    if (fromClient) cs += advance; else hs += advance;
  };
  send(c, h, SYN);
  send(h, c, SYN | ACK);
  send(c, h, ACK);
  send(c, h, PSH | ACK, req);
  send(h, c, ACK);
  send(h, c, PSH | ACK, res);
  send(c, h, ACK);
  send(c, h, FIN | ACK);
  send(h, c, FIN | ACK);
  send(c, h, ACK);

  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // Ethernet
  const records = inner.map(([from, to, seq, ack, flags, data], i) => {
    const frame = ethernet(ipv4(from.addr, to.addr, 6, tcp(from.addr, to.addr, from.port, to.port, seq, ack, flags, data), i + 1));
    // Mirrored copies always leave the source ENI (the host), whichever way the original went.
    const outer = ethernet(ipv4(s.host, s.sensor, 17, udp(s.host, s.sensor, 50_000 + (i % 100), 4789, vxlan(vni, frame)), 10_000 + i));
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000, 0);
    rec.writeUInt32LE(i * 1000, 4);
    rec.writeUInt32LE(outer.length, 8);
    rec.writeUInt32LE(outer.length, 12);
    return Buffer.concat([rec, outer]);
  });
  return Buffer.concat([global, ...records]);
}
