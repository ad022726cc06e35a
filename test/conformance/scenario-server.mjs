#!/usr/bin/env node
// mcp-leash's own MCP server for the conformance run (test/conformance/run.mjs): a stdio server
// written with the TypeScript SDK (McpServer + StdioServerTransport) from the requirements the
// suite states for its server scenarios (the description text of each scenario in
// @modelcontextprotocol/conformance's dist/index.js, "Implement tool `...`", and the checks its
// run() makes). It is not a copy of the suite's reference server. run.mjs runs it twice, directly
// and through mcp-leash, and compares the results; what matters is that both ways agree, so a
// scenario this server does not satisfy still counts, as long as it fails the same way.
//
// What it implements, by scenario:
//   server-initialize, ping                  the SDK's own handling
//   logging-set-level                        logging capability (the SDK keeps the level)
//   completion-complete                      prompt argument arg1 of test_prompt_with_arguments
//                                            completes from a fixed word list
//   tools-list                               every tool has a name, description and inputSchema
//   tools-call-simple-text                   test_simple_text
//   tools-call-image                         test_image_content (a 1x1 red PNG built here)
//   tools-call-audio                         test_audio_content (a short silent WAV built here)
//   tools-call-embedded-resource             test_embedded_resource
//   tools-call-mixed-content                 test_multiple_content_types
//   tools-call-with-logging                  test_tool_with_logging: 3 info logs ~50 ms apart
//   tools-call-error                         test_error_handling: isError result
//   tools-call-with-progress                 test_tool_with_progress: progress 0, 50, 100 of 100
//                                            ~50 ms apart (each awaited), then the answer
//   tools-call-sampling                      test_sampling: sampling/createMessage to the client
//   tools-call-elicitation                   test_elicitation: elicitation/create to the client
//   elicitation-sep1034-defaults             test_elicitation_sep1034_defaults
//   elicitation-sep1330-enums                test_elicitation_sep1330_enums
//   json-schema-2020-12                      json_schema_2020_12_tool, its inputSchema listed
//                                            as written ($schema, $defs, additionalProperties)
//   resources-list, resources-read-text,     test://static-text, test://static-binary,
//   resources-read-binary,                   test://watched-resource and the template
//   resources-templates-read                 test://template/{id}/data
//   resources-subscribe, -unsubscribe        resources/subscribe and /unsubscribe keep a set
//   prompts-list, prompts-get-simple,        test_simple_prompt, test_prompt_with_arguments,
//   prompts-get-with-args, -embedded-resource, test_prompt_with_embedded_resource,
//   prompts-get-with-image                   test_prompt_with_image
//   server-sse-polling                       test_reconnection exists and answers after a short
//                                            pause. Closing the HTTP stream mid-call, the
//                                            priming event and the retry field are the HTTP
//                                            server's part, here the bridge's, which does none
//                                            of them: no failure, but two WARNING checks
//                                            (priming event, retry field), the same both ways
//   server-sse-multiple-streams,             HTTP-only: the bridge answers them, the same both
//   dns-rebinding-protection                 ways; nothing here
//
// Tools are served with the SDK's low-level handlers (server.server.setRequestHandler) rather
// than McpServer.registerTool, because registerTool takes Zod schemas only and
// json-schema-2020-12 needs a JSON Schema listed exactly as written.

import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListToolsRequestSchema,
  McpError,
  ErrorCode,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { deflateSync } from 'node:zlib';
import { z } from 'zod';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ── Media, built here so that nothing binary is committed ──

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A 1x1 PNG of one RGB colour, base64. */
function pngPixel(r, g, b) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const raw = Buffer.from([0, r, g, b]); // filter byte 0, then the pixel
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]).toString('base64');
}

/** A short silent mono 8 kHz 16-bit PCM WAV, base64. */
function silentWav(samples = 80) {
  const data = Buffer.alloc(samples * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24); // sample rate
  h.writeUInt32LE(8000 * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]).toString('base64');
}

const RED_PIXEL = pngPixel(255, 0, 0);
const AUDIO = silentWav();

// ── Server ──

const server = new McpServer(
  { name: 'mcp-leash-scenario-server', version: '1.0.0' },
  { capabilities: { tools: {}, logging: {}, resources: { subscribe: true } } },
);

const text = (t) => ({ type: 'text', text: t });
const noArgs = { type: 'object', properties: {} };

function clientCan(what) {
  return Boolean(server.server.getClientCapabilities()?.[what]);
}

/** name -> { description, inputSchema, run(args, extra) } */
const tools = {
  test_simple_text: {
    description: 'Returns simple text content',
    inputSchema: noArgs,
    run: async () => ({ content: [text('This is a simple text response for testing.')] }),
  },
  test_image_content: {
    description: 'Returns image content (a 1x1 red PNG)',
    inputSchema: noArgs,
    run: async () => ({ content: [{ type: 'image', data: RED_PIXEL, mimeType: 'image/png' }] }),
  },
  test_audio_content: {
    description: 'Returns audio content (a short silent WAV)',
    inputSchema: noArgs,
    run: async () => ({ content: [{ type: 'audio', data: AUDIO, mimeType: 'audio/wav' }] }),
  },
  test_embedded_resource: {
    description: 'Returns an embedded resource',
    inputSchema: noArgs,
    run: async () => ({
      content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
    }),
  },
  test_multiple_content_types: {
    description: 'Returns text, image and resource content together',
    inputSchema: noArgs,
    run: async () => ({
      content: [
        text('Multiple content types test:'),
        { type: 'image', data: RED_PIXEL, mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
      ],
    }),
  },
  test_tool_with_logging: {
    description: 'Sends three info log messages about 50 ms apart while it runs',
    inputSchema: noArgs,
    run: async (_args, extra) => {
      const log = (data) => server.sendLoggingMessage({ level: 'info', logger: 'test_tool_with_logging', data }, extra.sessionId);
      await log('Tool execution started');
      await sleep(50);
      await log('Tool processing data');
      await sleep(50);
      await log('Tool execution completed');
      return { content: [text('Tool with logging executed: 3 log messages sent')] };
    },
  },
  test_error_handling: {
    description: 'Always fails, with an isError result',
    inputSchema: noArgs,
    run: async () => ({ isError: true, content: [text('This tool intentionally returns an error for testing')] }),
  },
  test_tool_with_progress: {
    description: 'Reports progress 0, 50 and 100 of 100, about 50 ms apart, then answers',
    inputSchema: noArgs,
    run: async (_args, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (const [i, progress] of [0, 50, 100].entries()) {
        if (i > 0) await sleep(50);
        // Each notification is awaited (written to stdout) before the next step, as SDK servers do.
        if (progressToken !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
      }
      return { content: [text('Tool with progress executed: progress 0, 50, 100 of 100')] };
    },
  },
  test_sampling: {
    description: 'Asks the client for an LLM completion of prompt (sampling/createMessage)',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } }, required: ['prompt'] },
    run: async (args, extra) => {
      if (!clientCan('sampling')) return { isError: true, content: [text('The client does not support sampling')] };
      const result = await extra.sendRequest(
        { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: text(String(args.prompt)) }], maxTokens: 100 } },
        CreateMessageResultSchema,
      );
      const answer = result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content);
      return { content: [text(`LLM response: ${answer}`)] };
    },
  },
  test_elicitation: {
    description: 'Asks the user for a username and email (elicitation/create)',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'The message to show the user' } }, required: ['message'] },
    run: async (args, extra) => {
      if (!clientCan('elicitation')) return { isError: true, content: [text('The client does not support elicitation')] };
      const result = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: String(args.message),
            requestedSchema: {
              type: 'object',
              properties: {
                username: { type: 'string', description: "User's response" },
                email: { type: 'string', description: "User's email address" },
              },
              required: ['username', 'email'],
            },
          },
        },
        ElicitResultSchema,
      );
      return { content: [text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`)] };
    },
  },
  test_elicitation_sep1034_defaults: {
    description: 'Elicitation whose schema gives a default for every primitive type (SEP-1034)',
    inputSchema: noArgs,
    run: async (_args, extra) => {
      if (!clientCan('elicitation')) return { isError: true, content: [text('The client does not support elicitation')] };
      const result = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: 'Please review these details (every field has a default)',
            requestedSchema: {
              type: 'object',
              properties: {
                name: { type: 'string', description: 'Name', default: 'John Doe' },
                age: { type: 'integer', description: 'Age', default: 30 },
                score: { type: 'number', description: 'Score', default: 95.5 },
                status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
                verified: { type: 'boolean', description: 'Verified', default: true },
              },
            },
          },
        },
        ElicitResultSchema,
      );
      return { content: [text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`)] };
    },
  },
  test_elicitation_sep1330_enums: {
    description: 'Elicitation with the five enum schema forms (SEP-1330)',
    inputSchema: noArgs,
    run: async (_args, extra) => {
      if (!clientCan('elicitation')) return { isError: true, content: [text('The client does not support elicitation')] };
      const result = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: 'Please choose',
            requestedSchema: {
              type: 'object',
              properties: {
                untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
                titledSingle: {
                  type: 'string',
                  oneOf: [
                    { const: 'value1', title: 'First Option' },
                    { const: 'value2', title: 'Second Option' },
                    { const: 'value3', title: 'Third Option' },
                  ],
                },
                legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
                untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
                titledMulti: {
                  type: 'array',
                  items: {
                    anyOf: [
                      { const: 'value1', title: 'First Choice' },
                      { const: 'value2', title: 'Second Choice' },
                      { const: 'value3', title: 'Third Choice' },
                    ],
                  },
                },
              },
            },
          },
        },
        ElicitResultSchema,
      );
      return { content: [text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`)] };
    },
  },
  json_schema_2020_12_tool: {
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
    run: async (args) => ({ content: [text(`Received: ${JSON.stringify(args ?? {})}`)] }),
  },
  test_reconnection: {
    description: 'Answers after a short pause (an HTTP server would close its SSE stream meanwhile; over stdio there is none)',
    inputSchema: noArgs,
    run: async () => {
      await sleep(100);
      return { content: [text('Reconnection test completed')] };
    },
  },
};

server.server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: Object.entries(tools).map(([name, t]) => ({ name, description: t.description, inputSchema: t.inputSchema })),
}));

server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  const tool = tools[request.params.name];
  if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  try {
    return await tool.run(request.params.arguments ?? {}, { ...extra, _meta: request.params._meta ?? extra._meta });
  } catch (err) {
    return { isError: true, content: [text(`${request.params.name} failed: ${err?.message ?? err}`)] };
  }
});

// ── Resources ──

server.registerResource(
  'static-text',
  'test://static-text',
  { description: 'A static text resource', mimeType: 'text/plain' },
  async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }),
);
server.registerResource(
  'static-binary',
  'test://static-binary',
  { description: 'A static binary resource (a 1x1 red PNG)', mimeType: 'image/png' },
  async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: RED_PIXEL }] }),
);
server.registerResource(
  'watched-resource',
  'test://watched-resource',
  { description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
  async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content.' }] }),
);
server.registerResource(
  'template-data',
  new ResourceTemplate('test://template/{id}/data', { list: undefined }),
  { description: 'Data for the id in the URI', mimeType: 'application/json' },
  async (uri, { id }) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
  }),
);

const subscriptions = new Set();
server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
  subscriptions.add(request.params.uri);
  return {};
});
server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
  subscriptions.delete(request.params.uri);
  return {};
});

// ── Prompts ──

server.registerPrompt('test_simple_prompt', { description: 'A simple prompt without arguments' }, () => ({
  messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }],
}));

const WORDS = ['paris', 'park', 'party', 'test', 'testing', 'tests'];
server.registerPrompt(
  'test_prompt_with_arguments',
  {
    description: 'A prompt with two required arguments',
    argsSchema: {
      arg1: completable(z.string().describe('First test argument'), (value) => WORDS.filter((w) => w.startsWith(value ?? ''))),
      arg2: z.string().describe('Second test argument'),
    },
  },
  ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }] }),
);

server.registerPrompt(
  'test_prompt_with_embedded_resource',
  { description: 'A prompt that embeds a resource', argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') } },
  ({ resourceUri }) => ({
    messages: [
      { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
      { role: 'user', content: text('Please process the embedded resource above.') },
    ],
  }),
);

server.registerPrompt('test_prompt_with_image', { description: 'A prompt with image content' }, () => ({
  messages: [
    { role: 'user', content: { type: 'image', data: RED_PIXEL, mimeType: 'image/png' } },
    { role: 'user', content: text('Please analyze the image above.') },
  ],
}));

await server.connect(new StdioServerTransport());
