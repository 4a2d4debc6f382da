"""The public page where anyone holding a minutes PDF checks that it is authentic."""
