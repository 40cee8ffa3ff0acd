import "@mantine/core/styles.css";
import "@mantine/notifications/styles.css";
import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { SessionProvider } from "./session";
import { settings } from "./settings";
import { accessibleColours, dashboardTheme } from "./theme";

document.title = settings.title;

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <MantineProvider theme={dashboardTheme(settings.accent)} cssVariablesResolver={accessibleColours} defaultColorScheme="light">
      <Notifications position="top-right" />
      <BrowserRouter basename="/dashboard">
        <SessionProvider>
          <App />
        </SessionProvider>
      </BrowserRouter>
    </MantineProvider>
  </StrictMode>,
);
