import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'tdesign-react/es/style/index.css';
import './app/console.css';
import { App } from './app/App';

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
