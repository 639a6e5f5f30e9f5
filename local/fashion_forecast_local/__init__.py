"""Fashion Forecast's development tools, outside the Lambda layer: the no-Docker local runtime
(moto + the resources of template.yaml + in-process Lambdas + the WebSocket gateway), the demo
season, and the seeded sample-data generator with its bundled files. The product
(fashion_forecast) never imports this package."""
