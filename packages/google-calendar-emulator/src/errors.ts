import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

/** One entry of Google's `error.errors[]` list. */
export interface ErrorItem {
  domain: string;
  reason: string;
  message: string;
  locationType?: string;
  location?: string;
}

/** Thrown anywhere inside a route; rendered as Google's JSON error envelope. */
export class ApiError extends Error {
  readonly code: number;
  readonly item: ErrorItem;

  constructor(
    code: number,
    reason: string,
    message: string,
    where: { domain?: string; locationType?: string; location?: string } = {},
  ) {
    super(message);
    this.code = code;
    this.item = { domain: where.domain ?? 'global', reason, message };
    if (where.locationType !== undefined) this.item.locationType = where.locationType;
    if (where.location !== undefined) this.item.location = where.location;
  }
}

export const notFound = (): ApiError => new ApiError(404, 'notFound', 'Not Found');

export const invalidParam = (location: string, message: string): ApiError =>
  new ApiError(400, 'invalid', message, { locationType: 'parameter', location });

export const requiredField = (message: string): ApiError => new ApiError(400, 'required', message);

export const invalidField = (message: string): ApiError => new ApiError(400, 'invalid', message);

export function sendApiError(res: Response, err: ApiError): void {
  res.status(err.code).json({ error: { errors: [err.item], code: err.code, message: err.item.message } });
}

/** Unknown routes answer with the same envelope as everything else. */
export const notFoundRoute: RequestHandler = (_req, res) => {
  sendApiError(res, notFound());
};

/** Last middleware: body-parser failures become parseError, anything unexpected a backendError. */
export const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof ApiError) {
    sendApiError(res, err);
    return;
  }
  if (isBodyParserError(err)) {
    sendApiError(res, err.type === 'entity.parse.failed' ? new ApiError(400, 'parseError', 'Parse Error') : new ApiError(err.status, 'badRequest', err.message));
    return;
  }
  // An emulator bug must still look like a Google 500, so clients exercise their retry path.
  console.error('[google-calendar-emulator] internal error', err);
  sendApiError(res, new ApiError(500, 'backendError', 'Backend Error'));
};

function isBodyParserError(err: unknown): err is { type: string; status: number; message: string } {
  return typeof err === 'object' && err !== null && 'type' in err && 'status' in err && typeof (err as { status: unknown }).status === 'number';
}
