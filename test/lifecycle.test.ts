import { lifecycleSuite } from "./lifecycleSuite.js";

lifecycleSuite("session lifecycle on a single Redis", () => ({}));
