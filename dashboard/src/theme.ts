import { createTheme, CSSVariablesResolver, MantineColorsTuple, Modal } from "@mantine/core";

function mix(hex: string, other: [number, number, number], weight: number): string {
  const value = parseInt(hex.slice(1), 16);
  const channels = [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  return `#${channels
    .map((channel, i) =>
      Math.round(channel * (1 - weight) + other[i] * weight)
        .toString(16)
        .padStart(2, "0"),
    )
    .join("")}`;
}

/** Ten shades around the brand colour: lighter ones for backgrounds, the colour itself where buttons are filled. */
function shades(hex: string): MantineColorsTuple {
  const white: [number, number, number] = [255, 255, 255];
  const black: [number, number, number] = [0, 0, 0];
  return [
    mix(hex, white, 0.92),
    mix(hex, white, 0.82),
    mix(hex, white, 0.65),
    mix(hex, white, 0.5),
    mix(hex, white, 0.35),
    mix(hex, white, 0.2),
    mix(hex, white, 0.1),
    mix(hex, black, 0.05),
    hex,
    mix(hex, black, 0.2),
  ];
}

/**
 * Filled controls use shade 8, dark enough for white text to pass WCAG AA on
 * every colour the dashboard uses; green and red get darker 8s than Mantine's.
 */
export function dashboardTheme(accent: string) {
  return createTheme({
    primaryColor: "accent",
    primaryShade: 8,
    autoContrast: true,
    colors: {
      accent: shades(accent),
      green: shades("#2b7a3b"),
      red: shades("#c92a2a"),
    },
    fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    components: {
      // Mantine's close button is an icon only: give it a name screen readers can say.
      Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close dialog" } } }),
    },
  });
}

/**
 * Text colours dark enough for WCAG AA (4.5:1) on white and on the light
 * backgrounds: secondary ("dimmed") text and the text of light variants
 * (active nav link, light badges and alerts) use darker shades than Mantine's.
 */
export const accessibleColours: CSSVariablesResolver = () => {
  const light: Record<string, string> = { "--mantine-color-dimmed": "var(--mantine-color-gray-7)" };
  for (const colour of ["accent", "red", "green", "gray", "yellow", "orange", "blue", "teal"]) {
    light[`--mantine-color-${colour}-light-color`] = `var(--mantine-color-${colour}-9)`;
    light[`--mantine-color-${colour}-outline`] = `var(--mantine-color-${colour}-9)`;
  }
  light["--mantine-color-yellow-light-color"] = "#5c4400";
  return { variables: {}, light, dark: {} };
};
