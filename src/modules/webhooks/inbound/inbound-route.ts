/**
 * The receiving route, for the bootstrap: its body reaches the handler as the raw bytes (a Buffer,
 * whatever the content type), capped at INBOUND_BODY_LIMIT_BYTES, on either HTTP platform.
 */
export const INBOUND_PATH_PREFIX = '/api/v1/inbound/';
export const INBOUND_BODY_LIMIT_BYTES = 256 * 1024;
export const INBOUND_BODY_TOO_LARGE = 'The callback body is larger than the 256 KB limit.';
