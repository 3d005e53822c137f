/** Worker entry: builds the app once per isolate, nothing else. */
import { buildApp } from "./app";

export default buildApp();
