// Starts GOV.UK Frontend's components on every page. No inline script needed.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
