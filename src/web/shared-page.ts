// A page that every signed-out reader gets alike (a timeline's first pages), as the read cache keeps it:
// its HTML, and that HTML compressed once per encoding, the first time a reader asks for it, then kept
// with it, so a cached page costs no compression (the compress plugin leaves an encoded reply as it is).
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from './pages.js';

const ENCODINGS = ['br', 'gzip'];

/** The compress plugin's settings for its own replies (web/app.ts), so a page reads the same either way. */
export const BROTLI_QUALITY = 4;

const encoders: Record<string, (html: string) => Buffer> = {
  br: (html) => brotliCompressSync(html, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }),
  gzip: (html) => gzipSync(html),
};

export class SharedPage {
  /**
   * Not counted in the read cache's byte bound (measured when stored, before any encoding): each is a
   * fraction of the HTML (about a fifth), and an entry lives for a second.
   */
  private readonly encoded = new Map<string, Buffer>();

  constructor(readonly html: string) {}

  send(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    reply.header('vary', 'accept-encoding');
    const accepted = request.headers['accept-encoding'];
    const encoding = accepted ? negotiate(accepted.toLowerCase(), ENCODINGS) : null;
    if (!encoding || !encoders[encoding]) return sendPage(reply, this.html);
    let body = this.encoded.get(encoding);
    if (!body) this.encoded.set(encoding, (body = encoders[encoding](this.html)));
    return sendPage(reply.header('content-encoding', encoding), body);
  }
}
