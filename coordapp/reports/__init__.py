"""The periodic report of a series: page, CSV and the PDF the worker renders."""
