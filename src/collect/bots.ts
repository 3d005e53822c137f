/**
 * Bot filtering. `isbot` knows crawlers, monitors and HTTP libraries; the
 * extra pattern catches automation that presents itself as a browser.
 * A browser event without a user agent is a bot (every real browser sends
 * one); a server event without one is not, because a backend may have no
 * visitor to forward (a payment webhook, a scheduled job).
 */
import { isbot } from "isbot";
import type { EventSource } from "../store/layout";

const AUTOMATION = /headless|phantomjs|slimerjs|electron\/|puppeteer|playwright|selenium|webdriver|lighthouse|pagespeed|prerender/i;

export function isBot(userAgent: string, source: EventSource): boolean {
  if (userAgent.trim() === "") return source === "browser";
  return AUTOMATION.test(userAgent) || isbot(userAgent);
}
