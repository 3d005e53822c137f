/**
 * Bot filtering. `isbot` knows crawlers, monitors and HTTP libraries; the
 * extra pattern catches automation that presents itself as a browser.
 * An empty user agent is treated as a bot: every real browser sends one.
 */
import { isbot } from "isbot";

const AUTOMATION = /headless|phantomjs|slimerjs|electron\/|puppeteer|playwright|selenium|webdriver|lighthouse|pagespeed|prerender/i;

export function isBot(userAgent: string): boolean {
  return userAgent.trim() === "" || AUTOMATION.test(userAgent) || isbot(userAgent);
}
