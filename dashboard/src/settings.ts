/** What Keyway embeds in index.html (src/http/dashboard.ts): branding and where the API is. */
export interface DashboardSettings {
  title: string;
  accent: string;
  signupEnabled: boolean;
  graphqlPath: string;
}

const DEFAULTS: DashboardSettings = { title: "Keyway", accent: "#1971c2", signupEnabled: true, graphqlPath: "/graphql" };

function read(): DashboardSettings {
  const element = document.getElementById("keyway-dashboard-settings");
  if (!element?.textContent) return DEFAULTS;
  try {
    return { ...DEFAULTS, ...(JSON.parse(element.textContent) as Partial<DashboardSettings>) };
  } catch {
    return DEFAULTS;
  }
}

export const settings = read();
