// One htm binding to preact for every module.
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);
