/** The MCP server: tools and resources over the SDK, for stdio (`enrichbase mcp`) and streamable HTTP (`/mcp`). */
export { createMcpServer, RESOURCE_ROW_LIMIT } from './server.ts';
export { handleMcpRequest, type McpHttpOptions } from './http.ts';
export { createMcpRoutes } from './routes.ts';
