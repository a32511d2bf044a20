/**
 * The knowledge provider's LLM client over the openai SDK: any OpenAI-compatible chat completions
 * endpoint (OpenAI, vLLM, llama.cpp server, Ollama, ...), base URL, model and key configurable.
 * The only file that knows the OpenAI request/response format.
 */
import OpenAI from 'openai';
import type { LlmClient, LlmCompletionRequest } from '../../src/core/knowledge/llm-provider.js';

export interface OpenAiKnowledgeClientOptions {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1 */
  baseURL: string;
  model: string;
  /** Local servers usually accept any key. */
  apiKey?: string;
  temperature?: number;
  /** Ask for response_format json_object (some local servers reject it: set false). */
  jsonMode?: boolean;
}

export class OpenAiKnowledgeClient implements LlmClient {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiKnowledgeClientOptions) {
    this.model = options.model;
    // Retries are the provider's business (it falls back to the rules instead).
    this.client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? 'not-needed', maxRetries: 0 });
  }

  async complete(req: LlmCompletionRequest): Promise<string> {
    const completion = await this.client.chat.completions.create(
      {
        model: this.model,
        messages: [
          { role: 'system', content: req.system },
          { role: 'user', content: req.user },
        ],
        temperature: this.options.temperature ?? 0,
        ...(this.options.jsonMode === false ? {} : { response_format: { type: 'json_object' as const } }),
      },
      { signal: req.signal, timeout: req.timeoutMs, maxRetries: 0 },
    );
    const content = completion.choices[0]?.message?.content;
    if (!content) throw new Error('empty completion');
    return content;
  }
}
