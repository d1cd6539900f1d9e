package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/roasd/roasd"

// pkgInfo is what the architecture tests need of one package's non-test
// files.
type pkgInfo struct {
	imports map[string]bool
	hasDoc  bool
	isMain  bool     // package main (a command)
	missing []string // exported names without a doc comment
}

func loadPackages(t *testing.T) map[string]*pkgInfo {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*pkgInfo{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		ip := module
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		p := pkgs[ip]
		if p == nil {
			p = &pkgInfo{imports: map[string]bool{}}
			pkgs[ip] = p
		}
		if f.Name.Name == "main" {
			p.isMain = true
		}
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			p.hasDoc = true
		}
		for _, im := range f.Imports {
			p.imports[strings.Trim(im.Path.Value, `"`)] = true
		}
		p.missing = append(p.missing, undocumented(fset, f)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// undocumented lists exported top-level names in f that lack a doc comment.
func undocumented(fset *token.FileSet, f *ast.File) []string {
	var out []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv != nil && len(d.Recv.List) == 1 {
				// Methods on unexported types are not API.
				typ := d.Recv.List[0].Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				if g, ok := typ.(*ast.IndexExpr); ok {
					typ = g.X
				}
				if id, ok := typ.(*ast.Ident); ok && !id.IsExported() {
					continue
				}
			}
			out = append(out, fset.Position(d.Pos()).String()+" "+d.Name.Name)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
						out = append(out, fset.Position(s.Pos()).String()+" "+s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
							out = append(out, fset.Position(n.Pos()).String()+" "+n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// TestImportRules enforces DESIGN.md's boundaries.
func TestImportRules(t *testing.T) {
	t.Parallel()
	pkgs := loadPackages(t)
	rules := []struct {
		pkg       string // prefix of the importing package
		forbidden []string
		why       string
	}{
		{module + "/ads", []string{module + "/"}, "ads is the shared vocabulary and imports nothing of ours"},
		{module + "/metaads", []string{module + "/store", "github.com/jmoiron/sqlx", "github.com/lib/pq"}, "API packages know nothing of Postgres"},
		{module + "/tiktokads", []string{module + "/store", "github.com/jmoiron/sqlx", "github.com/lib/pq"}, "API packages know nothing of Postgres"},
		{module + "/shopify", []string{module + "/store", "github.com/jmoiron/sqlx", "github.com/lib/pq"}, "API packages know nothing of Postgres"},
		{module + "/notify", []string{module + "/store", "github.com/jmoiron/sqlx", "github.com/lib/pq"}, "notify renders and delivers; the outbox is behind an interface"},
		{module + "/reconcile", []string{module + "/store", module + "/metaads", module + "/tiktokads", module + "/shopify", module + "/notify", "database/sql", "github.com/jmoiron/sqlx", "github.com/lib/pq", "net/http"}, "reconcile is pure computation"},
		{module + "/store", []string{module + "/metaads", module + "/tiktokads", module + "/shopify", module + "/notify", "net/http"}, "the store knows nothing of HTTP APIs"},
		{module + "/scheduler", []string{module + "/", "github.com/jmoiron/sqlx", "github.com/lib/pq"}, "scheduler schedules and runs jobs generically; what they do is package jobs"},
		{module + "/report", []string{module + "/web", module + "/scheduler", module + "/jobs", module + "/metaads", module + "/tiktokads", module + "/shopify", module + "/notify"}, "report answers queries from the store; HTTP is web's"},
		{module + "/configs", []string{module + "/store", module + "/metaads", module + "/tiktokads", module + "/shopify", module + "/notify", module + "/reconcile"}, "configs is parsed before anything else exists"},
	}
	// Fakes must not import the client they fake.
	for _, c := range []string{"metaads", "tiktokads", "shopify", "notify"} {
		for fake := range pkgs {
			if strings.HasPrefix(fake, module+"/"+c+"/") {
				rules = append(rules, struct {
					pkg       string
					forbidden []string
					why       string
				}{fake, []string{module + "/" + c}, "a fake must not share shapes with its client"})
			}
		}
	}
	// jobs is the one package that brings the clients, the store,
	// reconcile and notify together; commands (package main) wire them.
	together := []string{module + "/metaads", module + "/tiktokads", module + "/shopify", module + "/store", module + "/reconcile", module + "/notify"}
	for name, p := range pkgs {
		if name == module+"/jobs" || p.isMain {
			continue
		}
		all := true
		for _, im := range together {
			all = all && p.imports[im]
		}
		if all {
			t.Errorf("%s imports the clients, store, reconcile and notify together: that is package jobs' work", name)
		}
	}
	for name, p := range pkgs {
		for _, r := range rules {
			if name != r.pkg && !strings.HasPrefix(name, r.pkg+"/") {
				continue
			}
			for im := range p.imports {
				for _, f := range r.forbidden {
					bad := im == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(im, f))
					if bad && im != name {
						t.Errorf("%s imports %s: %s", name, im, r.why)
					}
				}
			}
		}
	}
}

// TestPackageDocs requires a package comment on every package and a doc
// comment on every exported name.
func TestPackageDocs(t *testing.T) {
	t.Parallel()
	pkgs := loadPackages(t)
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := pkgs[n]
		if !p.hasDoc {
			t.Errorf("package %s has no package doc comment", n)
		}
		for _, m := range p.missing {
			t.Errorf("exported name without doc comment: %s", m)
		}
	}
}
