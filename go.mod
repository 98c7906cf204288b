module github.com/wslab/wslab

go 1.26
