/** Injection tokens for what the bootstrap creates before Nest starts. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const INFRASTRUCTURE = Symbol('INFRASTRUCTURE');
export const JOB_QUEUE = Symbol('JOB_QUEUE');
export const MQTT = Symbol('MQTT');
