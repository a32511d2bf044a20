/**
 * A real OpenAI-compatible chat-completions server on loopback (node:http) for the LLM tests: it
 * records every request it receives (parsed body and authorization header) and answers with what
 * the test's `answer` returns for it: the assistant message's text, an HTTP error status, or
 * `pending` (the test sends the text later, e.g. after a client's time-out).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackRequest {
  body: any;
  auth: string | undefined;
  /** The system and user messages' texts. */
  system: string;
  user: string;
}

export type LoopbackAnswer = { content: string } | { status: number } | { pending: (send: (content: string) => void) => void };

export interface LoopbackLlm {
  /** e.g. http://127.0.0.1:PORT/v1 (what OPENAI_BASE_URL takes). */
  baseURL: string;
  requests: LoopbackRequest[];
  close(): Promise<void>;
}

function completion(content: string, model: string) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

export async function startLoopbackLlm(answer: (request: LoopbackRequest) => LoopbackAnswer): Promise<LoopbackLlm> {
  const requests: LoopbackRequest[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw);
    const text = (role: string) => body.messages?.find((m: { role: string }) => m.role === role)?.content ?? '';
    const request: LoopbackRequest = { body, auth: req.headers.authorization, system: text('system'), user: text('user') };
    requests.push(request);
    const send = (content: string) => {
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion(content, body.model)));
    };
    const a = answer(request);
    if ('content' in a) send(a.content);
    else if ('status' in a) {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `loopback server answered ${a.status}` } }));
    } else a.pending(send);
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
