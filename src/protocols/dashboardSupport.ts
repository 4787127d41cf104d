// What the dashboard (src/dashboard, web/) asks of a protocol.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the dashboard becomes protocol-generic
export interface DashboardSupport {}
