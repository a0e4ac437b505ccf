package chronograd_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// go doc prints a parameter of type *rand.Rand without saying which rand: every exported
// function, method and interface method of a public package that takes or returns one
// says in its doc comment that it is math/rand/v2's.
func TestRandIsNamedMathRandV2(t *testing.T) {
	mentionsRand := func(ft *ast.FuncType) bool {
		found := false
		ast.Inspect(ft, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Rand" {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "rand" {
					found = true
				}
			}
			return !found
		})
		return found
	}
	checked := 0
	for _, dir := range publicPackages(t) {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			{
				check := func(name string, ft *ast.FuncType, doc *ast.CommentGroup, pos token.Pos) {
					if !ast.IsExported(name) || !mentionsRand(ft) {
						return
					}
					checked++
					if !strings.Contains(doc.Text(), "math/rand/v2") {
						t.Errorf("%s: %s.%s takes a *rand.Rand, and its doc does not say it is math/rand/v2's", fset.Position(pos), dir, name)
					}
				}
				for _, d := range f.Decls {
					switch d := d.(type) {
					case *ast.FuncDecl:
						if d.Recv == nil || exportedRecv(d.Recv) {
							check(d.Name.Name, d.Type, d.Doc, d.Pos())
						}
					case *ast.GenDecl:
						for _, s := range d.Specs {
							ts, ok := s.(*ast.TypeSpec)
							if !ok || !ts.Name.IsExported() {
								continue
							}
							it, ok := ts.Type.(*ast.InterfaceType)
							if !ok {
								continue
							}
							for _, m := range it.Methods.List {
								if ft, ok := m.Type.(*ast.FuncType); ok && len(m.Names) == 1 {
									check(ts.Name.Name+"."+m.Names[0].Name, ft, m.Doc, m.Pos())
								}
							}
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no exported function takes a *rand.Rand: the check has gone blind")
	}
}
