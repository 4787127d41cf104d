import type { DashboardSupport } from "../../parts/dashboard.js";

export const pbDashboard: DashboardSupport = {};
