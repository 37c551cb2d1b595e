export { bearerToken, createTokenVerifier, signToken, type AuthConfig, type AuthUser, type TokenVerifier } from './auth.ts';
export { createContextFromHeaders, createContextInner, type ApiDeps, type Context } from './context.ts';
export { decodeProcedureInput, listEventsJson } from './calendar/page-text.ts';
export { pageWireJson } from './calendar/wire.ts';
export { appRouter, createCaller, type AppRouter, type RouterInputs, type RouterOutputs } from './root.ts';
export { errorBody, errorMessage, INTERNAL_ERROR_MESSAGE, type ErrorBody, type ErrorCode, type FieldError } from './error-body.ts';
export {
  buildOpenApiDocument,
  renderDocsPage,
  REST_OPERATIONS,
  restErrorResponse,
  runRestOperation,
  toRestEvent,
  toRestEventList,
  type RestEvent,
  type RestOperation,
  type RestRequest,
  type RestResponse,
} from './rest/index.ts';
