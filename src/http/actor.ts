import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who did it, for the audit trail: the API key's name, which the auth guard puts on `req.actor` (X-Actor only where no guard ran). */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; actor?: string }>();
  if (req.actor) return req.actor;
  const header = req.headers['x-actor'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.@:-]{1,100}$/.test(value) ? value : 'anonymous';
});
