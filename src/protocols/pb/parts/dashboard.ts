import type { DashboardSupport } from "../../dashboardSupport.js";

export const pbDashboard: DashboardSupport = {};
