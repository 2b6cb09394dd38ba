// The npm packages used here ship no TypeScript types; only what the dashboard calls is declared.
declare module "topojson-client" {
  export function feature(topology: unknown, object: unknown): { features: GeoFeature[] };
}
declare module "d3-geo" {
  export function geoTransform(methods: { point(this: { stream: { point(x: number, y: number): void } }, x: number, y: number): void }): { stream(s: unknown): unknown };
  export function geoClipRectangle(x0: number, y0: number, x1: number, y1: number): (s: unknown) => unknown;
  export function geoPath(projection?: unknown): { (f: unknown): string | null; digits(n: number): any };
}
interface GeoFeature {
  id?: string;
  properties: { name: string };
}
