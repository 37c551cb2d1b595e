export { renderDocsPage } from './docs-page.ts';
export { restEvent, toRestEvent, toRestEventList, type RestEvent } from './event.ts';
export { buildOpenApiDocument } from './openapi.ts';
export { REST_OPERATIONS, restErrorResponse, runRestOperation, type RestOperation, type RestRequest, type RestResponse } from './operations.ts';
