// The two Cytoscape.js extensions ship no type declarations: each is a `cytoscape.use()` plugin.
declare module "cytoscape-fcose" {
  const fcose: cytoscape.Ext;
  export default fcose;
}
declare module "cytoscape-svg" {
  const svg: cytoscape.Ext;
  export default svg;
}
