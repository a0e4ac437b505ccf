package chronograd_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// publicPackages are the directories whose packages other modules can import.
func publicPackages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		switch {
		case path == ".git", strings.HasPrefix(path, "internal"), strings.HasPrefix(path, "cmd"), d.Name() == "testdata":
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
			return filepath.SkipDir // another module (bench/blas)
		}
		matches, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.go") {
				dirs = append(dirs, path)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// fileRef finds a doc comment that sends the reader to a source file, which go doc
// readers cannot see.
var fileRef = regexp.MustCompile(`\b[a-z0-9_]+\.go\b`)

// Every exported identifier that go doc shows has a doc comment of its own (a comment
// shared by a group of declarations shows only on the first), every exported struct field
// has a comment, and no doc comment refers to a source file.
func TestEveryExportedIdentifierIsDocumented(t *testing.T) {
	for _, dir := range publicPackages(t) {
		fset := token.NewFileSet()
		for _, pkg := range parsePackages(t, fset, dir, parser.ParseComments) {
			if pkg.name == "main" {
				continue
			}
			p, err := doc.NewFromFiles(fset, pkg.files, "./"+dir)
			if err != nil {
				t.Fatal(err)
			}
			where := func(pos token.Pos) string { return fset.Position(pos).String() }
			check := func(name, text string, pos token.Pos) {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s: %s.%s has no doc comment", where(pos), dir, name)
				} else if m := fileRef.FindString(text); m != "" {
					t.Errorf("%s: %s.%s's doc refers to the file %s", where(pos), dir, name, m)
				}
			}
			check("(package)", p.Doc, pkg.files[0].Package)
			for _, f := range p.Funcs {
				check(f.Name, f.Doc, f.Decl.Pos())
			}
			for _, v := range append(p.Consts, p.Vars...) {
				for _, spec := range v.Decl.Specs {
					vs := spec.(*ast.ValueSpec)
					for _, n := range vs.Names {
						if !n.IsExported() {
							continue
						}
						text := v.Doc
						if len(v.Decl.Specs) > 1 || text == "" {
							text = vs.Doc.Text() + vs.Comment.Text()
							if text == "" && len(v.Decl.Specs) > 1 {
								text = v.Doc // a documented block of iota constants
							}
						}
						check(n.Name, text, n.Pos())
					}
				}
			}
			for _, typ := range p.Types {
				check(typ.Name, typ.Doc, typ.Decl.Pos())
				for _, f := range typ.Funcs {
					check(f.Name, f.Doc, f.Decl.Pos())
				}
				for _, m := range typ.Methods {
					check(typ.Name+"."+m.Name, m.Doc, m.Decl.Pos())
				}
				for _, v := range append(typ.Consts, typ.Vars...) {
					for _, spec := range v.Decl.Specs {
						for _, n := range spec.(*ast.ValueSpec).Names {
							if n.IsExported() && v.Doc == "" && spec.(*ast.ValueSpec).Doc.Text()+spec.(*ast.ValueSpec).Comment.Text() == "" {
								t.Errorf("%s: %s.%s has no doc comment", where(n.Pos()), dir, n.Name)
							}
						}
					}
				}
				for _, spec := range typ.Decl.Specs {
					st, ok := spec.(*ast.TypeSpec).Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, field := range st.Fields.List {
						for _, n := range field.Names {
							if n.IsExported() && field.Doc.Text()+field.Comment.Text() == "" {
								t.Errorf("%s: field %s.%s.%s has no comment", where(n.Pos()), dir, typ.Name, n.Name)
							}
						}
					}
				}
			}
		}
	}
}

// sourcePackage is one package's non-test files in a directory, in file-name order.
type sourcePackage struct {
	name  string
	files []*ast.File
	paths []string
}

// parsePackages parses the non-test Go files of dir and groups them by package clause.
func parsePackages(t *testing.T, fset *token.FileSet, dir string, mode parser.Mode) []sourcePackage {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []sourcePackage
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		path := filepath.Join(dir, name)
		f, err := parser.ParseFile(fset, path, nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for i < len(pkgs) && pkgs[i].name != f.Name.Name {
			i++
		}
		if i == len(pkgs) {
			pkgs = append(pkgs, sourcePackage{name: f.Name.Name})
		}
		pkgs[i].files = append(pkgs[i].files, f)
		pkgs[i].paths = append(pkgs[i].paths, path)
	}
	return pkgs
}

// No exported declaration of a public package mentions a type from an internal package:
// another module could not name it (cell.ModelFromFile took a *safetensors.File).
func TestNoInternalTypeInExportedAPI(t *testing.T) {
	for _, dir := range publicPackages(t) {
		fset := token.NewFileSet()
		for _, pkg := range parsePackages(t, fset, dir, 0) {
			for i, f := range pkg.files {
				name := pkg.paths[i]
				internal := map[string]bool{}
				for _, imp := range f.Imports {
					path, _ := strconv.Unquote(imp.Path.Value)
					if !strings.Contains(path, "/internal/") {
						continue
					}
					local := path[strings.LastIndex(path, "/")+1:]
					if imp.Name != nil {
						local = imp.Name.Name
					}
					internal[local] = true
				}
				if len(internal) == 0 {
					continue
				}
				mentions := func(what string, n ast.Node) {
					ast.Inspect(n, func(n ast.Node) bool {
						if sel, ok := n.(*ast.SelectorExpr); ok {
							if id, ok := sel.X.(*ast.Ident); ok && internal[id.Name] {
								t.Errorf("%s: exported %s uses %s.%s from an internal package", name, what, id.Name, sel.Sel.Name)
							}
						}
						return true
					})
				}
				for _, decl := range f.Decls {
					switch d := decl.(type) {
					case *ast.FuncDecl:
						if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) {
							mentions(d.Name.Name, d.Type)
						}
					case *ast.GenDecl:
						for _, spec := range d.Specs {
							switch s := spec.(type) {
							case *ast.TypeSpec:
								if !s.Name.IsExported() {
									continue
								}
								if st, ok := s.Type.(*ast.StructType); ok {
									for _, field := range st.Fields.List {
										for _, n := range field.Names {
											if n.IsExported() {
												mentions(s.Name.Name+"."+n.Name, field.Type)
											}
										}
									}
									continue
								}
								mentions(s.Name.Name, s.Type)
							case *ast.ValueSpec:
								for _, n := range s.Names {
									if n.IsExported() && s.Type != nil {
										mentions(n.Name, s.Type)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

func exportedRecv(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if idx, ok := t.(*ast.IndexExpr); ok {
		t = idx.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
